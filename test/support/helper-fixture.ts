import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { ensureHelperImage, execInContainer, HelperClient, parseKeyValues } from '@gameday/faults';

/**
 * For the helper's own tests on the host's Docker Engine: a target container, and helpers started
 * in its network namespace the way the driver starts them. Everything is removed afterwards.
 */
export class HelperFixture {
  readonly docker = new Docker();
  readonly name: string;
  image = '';
  targetId = '';
  private client: HelperClient | undefined;
  private readonly created: string[] = [];

  constructor(private readonly engine: string) {
    this.name = `gd${engine}-${randomBytes(3).toString('hex')}`;
  }

  get helpers(): HelperClient {
    if (!this.client) throw new Error('the helper fixture is not started');
    return this.client;
  }

  async start(): Promise<void> {
    await this.docker.ping(); // fails loudly without an engine
    this.image = await ensureHelperImage(this.docker);
    this.client = new HelperClient(this.docker, `${this.engine}-test`, this.image);
    const t = await this.docker.createContainer({
      name: this.name,
      Image: 'debian:bookworm-slim',
      Cmd: ['sleep', '600'],
      HostConfig: { Init: true },
    });
    await t.start();
    this.targetId = t.id;
  }

  async stop(): Promise<void> {
    for (const id of [...this.created, this.targetId].filter(Boolean))
      await this.docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined);
  }

  /** A helper in the target's netns (removed with the fixture). */
  async newHelper(): Promise<string> {
    const id = await this.helpers.create({
      engine: `${this.engine}-test`,
      containerId: this.targetId,
      containerName: this.name,
      netnsId: '',
      labels: {},
    });
    this.created.push(id);
    return id;
  }

  /** `gameday-helper status` as key → value. */
  async status(id: string): Promise<Record<string, string>> {
    return parseKeyValues((await execInContainer(this.docker, id, ['gameday-helper', 'status'])).stdout);
  }

  exec(id: string, argv: string[]): ReturnType<typeof execInContainer> {
    return execInContainer(this.docker, id, argv);
  }
}

/** A started fixture for the test file (beforeAll / afterAll). */
export function useHelperFixture(engine: string): HelperFixture {
  const fixture = new HelperFixture(engine);
  beforeAll(() => fixture.start());
  afterAll(() => fixture.stop());
  return fixture;
}
