// README's examples run as written, and print what README shows. Each ```js block after the
// marker comment is run in order; a comment block after a statement is the value it returns
// (`// label: value` for a value read afterwards, e.g. `persons[0]`), written as a JS literal.
// Objects must show every key, in the order returned; only inside text may `…` stand for a part
// left out (and runs of white space compare as one space). Comment lines in parentheses explain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', root), 'utf8');
const MARKER = '<!-- Output shown as returned; checked by tests/js/readme.test.mjs -->';

/** The checked blocks: their code lines, with README's line numbers. */
function checkedBlocks() {
  const lines = README.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i] !== MARKER) continue;
    assert.equal(lines[i + 1], '```js', `README line ${i + 2}: the marker is followed by a js block`);
    const start = i + 2;
    let end = start;
    while (lines[end] !== '```') end += 1;
    blocks.push({ line: start + 1, lines: lines.slice(start, end) });
  }
  return blocks;
}

/** A block as steps: the code since the last expectation, and the expectation after it. */
function steps(block) {
  const result = [];
  let code = [];
  let expected = [];
  const flush = () => {
    if (expected.length) result.push({ code: code.join('\n'), expected: expected.join('\n') });
    else if (code.length) result.push({ code: code.join('\n') });
    code = [];
    expected = [];
  };
  for (const line of block.lines) {
    const comment = line.match(/^\/\/ ?(.*)$/);
    if (comment) {
      if (!comment[1].startsWith('(')) expected.push(comment[1]);
      continue;
    }
    if (expected.length) flush();
    const inline = line.match(/^(.*;)\s*\/\/ (.*?)(\s*\(.*\))?$/);
    if (inline) {
      code.push(inline[1]);
      expected.push(inline[2]);
      flush();
    } else if (line.trim()) {
      code.push(line);
    }
  }
  flush();
  return result;
}

const collapse = (text) => text.replace(/\s+/g, ' ').trim();

/** Whether `actual` is what README shows as `expected`; a message saying where it is not. */
function differs(actual, expected, path = 'value') {
  if (typeof expected === 'string' && expected.includes('…')) {
    if (typeof actual !== 'string') return `${path}: text expected, got ${typeof actual}`;
    const pattern = collapse(expected).split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    return new RegExp(`^${pattern}$`, 's').test(collapse(actual)) ? null : `${path}: ${JSON.stringify(actual)} does not read as ${JSON.stringify(expected)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: ${JSON.stringify(actual)} is not a list of ${expected.length}`;
    for (let i = 0; i < expected.length; i += 1) {
      const problem = differs(actual[i], expected[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return `${path}: an object expected, got ${JSON.stringify(actual)}`;
    const keys = [Object.keys(actual), Object.keys(expected)];
    if (JSON.stringify(keys[0]) !== JSON.stringify(keys[1])) return `${path}: keys ${keys[0].join(', ')} are shown as ${keys[1].join(', ')}`;
    for (const key of keys[1]) {
      const problem = differs(actual[key], expected[key], `${path}.${key}`);
      if (problem) return problem;
    }
    return null;
  }
  return Object.is(actual, expected) ? null : `${path}: ${JSON.stringify(actual)} is shown as ${JSON.stringify(expected)}`;
}

test('README: every checked example returns what README shows', () => {
  const blocks = checkedBlocks();
  assert.ok(blocks.length >= 6, `the examples of validateCpr, validateSetup, resolveEndpoints, diagnose, redact and the GraphQL layer are checked (found ${blocks.length})`);
  const context = vm.createContext({
    ...require('datafordeler-cpr'),
    responseText: readFileSync(new URL('tests/fixtures/graphql/private-ordinary.json', root), 'utf8'),
  });
  let checked = 0;
  for (const block of blocks) {
    for (const step of steps(block)) {
      const where = `README block at line ${block.line}: ${step.code.split('\n')[0]}`;
      let value = vm.runInContext(step.code, context);
      if (!step.expected) continue;
      let expectedText = step.expected;
      const label = expectedText.match(/^([\w.[\]]+): (?=[{[])/);
      if (label) {
        value = vm.runInContext(label[1], context);
        expectedText = expectedText.slice(label[0].length);
      }
      const expected = vm.runInNewContext(`(${expectedText})`);
      const problem = differs(value, expected);
      assert.equal(problem, null, `${where}\n${problem}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 10, `at least ten shown results are checked (${checked})`);
});

test('the README checker notices a wrong key order, a missing key and a wrong text', () => {
  assert.equal(differs({ a: 1, b: 2 }, { a: 1, b: 2 }), null);
  assert.match(differs({ a: 1, b: 2 }, { b: 2, a: 1 }), /keys a, b are shown as b, a/);
  assert.match(differs({ a: 1, b: 2 }, { a: 1 }), /keys/);
  assert.match(differs({ t: 'Hello world' }, { t: 'Hello there' }), /value\.t/);
  assert.equal(differs({ t: 'Hello\n   wide world' }, { t: 'Hello … world' }), null);
});
