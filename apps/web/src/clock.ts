/**
 * The web UI's one time source: the browser's clock. The UI decides nothing by it (the API and the
 * worker do, with theirs); it only draws countdowns and suggests instants.
 */
// eslint-disable-next-line no-restricted-syntax -- the one place the UI reads the wall clock
export const nowMs = (): number => Date.now();
