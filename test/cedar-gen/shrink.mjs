// node shrink.mjs KIND CASE_SEED CHECK: shrinks a failing generated case
// (see shrinkCase in diff.mjs) and prints {minimal, why} as one JSON line.
import { shrinkCase } from './diff.mjs';
const [kind, seed, what] = process.argv.slice(2);
console.log(JSON.stringify(shrinkCase(kind, Number(seed), what)));
