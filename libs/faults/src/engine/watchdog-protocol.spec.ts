import { demuxDockerLog, engineInstantMs, parseWatchdogLog, watchdogArgv } from './watchdog-protocol';

const ID = 'a'.repeat(64);

describe('watchdog protocol', () => {
  it('hands over one target, the arming, the deadline, the action and the start it guards', () => {
    expect(
      watchdogArgv({
        targetId: ID,
        armingId: '0123abcd0123abcd',
        deadlineMs: 1_796_499_851_061,
        action: 'pause',
        startedAt: '2026-12-05T19:44:08.965088121Z',
      }),
    ).toEqual(['watch', ID, '0123abcd0123abcd', '1796499851061', 'pause', '2026-12-05T19:44:08.965088121Z']);
  });

  it('reads what it did from its log', () => {
    const log = [
      `armed target=${ID} action=pause deadline=200 started_at=S finished_at=F arming=n1 now=100`,
      'acted call=unpause status=204 at=201 called=200 deadline=200 arming=n1 now=201',
      '',
    ].join('\n');
    expect(parseWatchdogLog(log, 'n1')).toMatchObject({
      armed: true,
      acted: { call: 'unpause', status: 204, at: 201, calledAt: 200 },
    });
    expect(parseWatchdogLog(log, 'n1').stoodDown).toBeUndefined();
  });

  it('reads a stand-down, a refusal and a failed call', () => {
    expect(
      parseWatchdogLog('armed arming=n now=1\nstood_down by=signal:10 reason=told arming=n now=7\n'),
    ).toMatchObject({ armed: true, stoodDown: { by: 'signal:10', reason: 'told', at: 7 } });
    expect(parseWatchdogLog('refused reason=target_changed running=0 arming=n now=1')).toMatchObject({
      armed: false,
      refused: 'target_changed',
    });
    expect(parseWatchdogLog('failed call=start status=500 at=9 arming=n now=9').failed).toEqual({
      call: 'start',
      status: 500,
      at: 9,
      calledAt: 9,
    });
  });

  it('ignores lines of another arming', () => {
    const r = parseWatchdogLog(
      'armed arming=other now=1\nacted call=unpause status=204 at=2 arming=other now=2',
      'mine',
    );
    expect(r).toMatchObject({ armed: false, events: [] });
    expect(r.acted).toBeUndefined();
  });

  it('demultiplexes the Engine log stream (stdout frames only)', () => {
    const frame = (stream: number, text: string) => {
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    expect(demuxDockerLog(Buffer.concat([frame(1, 'armed a=1\n'), frame(2, 'noise\n'), frame(1, 'acted\n')]))).toBe(
      'armed a=1\nacted\n',
    );
  });

  it('reads the Engine instants to the millisecond', () => {
    expect(engineInstantMs('2026-12-05T19:44:31.971795491Z')).toBe(Date.UTC(2026, 11, 5, 19, 44, 31, 971));
    expect(engineInstantMs('2026-12-05T19:44:31Z')).toBe(Date.UTC(2026, 11, 5, 19, 44, 31, 0));
    expect(engineInstantMs('2026-12-05T19:44:31.5Z')).toBe(Date.UTC(2026, 11, 5, 19, 44, 31, 500));
    expect(engineInstantMs('yesterday')).toBeNaN();
  });
});
