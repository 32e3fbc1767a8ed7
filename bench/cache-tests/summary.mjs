// Scores a results JSON of http-cache-tests the way cache-tests.fyi does (determineTestResult, in
// lib/display.mjs of the npm package and test-engine/lib/results.mjs of the repository's newer layout):
// a test counts as passed only when its dependencies pass too; tests for browser caches only are left out. Prints required and optimal pass counts
// and the ids of the failing required and optimal tests.
// Usage: node summary.mjs SUITE_DIR RESULTS_JSON
import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const [suiteDir, resultsFile] = process.argv.slice(2)
const load = rel => import(pathToFileURL(path.join(suiteDir, rel)).href)
const tests = (await load('tests/index.mjs')).default
const newLayout = fs.existsSync(path.join(suiteDir, 'test-engine'))
if (!newLayout && fs.existsSync(path.join(suiteDir, 'tests/surrogate-control.mjs'))) {
  const surrogate = (await load('tests/surrogate-control.mjs')).default
  if (!tests.includes(surrogate)) tests.push(surrogate) // the npm package's CLI runs it too
}
const display = await load(newLayout ? 'test-engine/lib/results.mjs' : 'lib/display.mjs')
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))

const counts = { required: [0, 0], optimal: [0, 0] }
const failing = { required: [], optimal: [] }
for (const suite of tests) {
  for (const test of suite.tests) {
    if (test.browser_only) continue
    const kind = test.kind === undefined ? 'required' : test.kind
    if (!(kind in counts)) continue
    const verdict = display.determineTestResult(tests, test.id, results)
    counts[kind][1]++
    if (verdict[2] === '✅') {
      counts[kind][0]++
    } else {
      failing[kind].push(`${suite.id}/${test.id} ${verdict[2]} ${JSON.stringify(results[test.id])}`)
    }
  }
}
for (const kind of ['required', 'optimal']) {
  const [pass, total] = counts[kind]
  console.log(`${kind}: ${pass} of ${total} pass (${(100 * pass / total).toFixed(1)} %)`)
}
for (const kind of ['required', 'optimal']) {
  console.log(`\nfailing ${kind}:`)
  failing[kind].forEach(f => console.log(`  ${f}`))
}
