// Entry of `npm run bench`: runs each suite in turn. A suite is a module exporting `run()`.
const suites = ['./sequence/run.js', './collections/run.js'];

for (const suite of suites) {
  const { run } = await import(suite);
  await run();
}
