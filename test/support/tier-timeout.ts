// jest reads `testTimeout` from the root config only, so a project's own value is ignored and
// every hook would get 5 s; this sets each tier's timeout for every file of the tier. A file
// that needs more (or less) still calls jest.setTimeout itself, after this.
const tiers: Array<[RegExp, number]> = [
  [/[\\/]test[\\/]lab[\\/]/, 600_000],
  [/[\\/]test[\\/]long[\\/]/, 1_200_000],
  [/[\\/]test[\\/]browser[\\/]/, 180_000],
  [/[\\/]test[\\/]integration[\\/]/, 60_000],
];

const path = expect.getState().testPath ?? '';
const tier = tiers.find(([pattern]) => pattern.test(path));
if (tier) jest.setTimeout(tier[1]);
