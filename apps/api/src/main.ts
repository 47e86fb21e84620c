import 'reflect-metadata';
import { ConfigError, loadConfig } from '@gameday/config';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApp(config);
  await app.listen(config.PORT);
}

main().catch((error: unknown) => {
  // configuration errors name the variable; anything else keeps its stack
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
