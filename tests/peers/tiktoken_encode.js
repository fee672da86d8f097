#!/usr/bin/env node
// tiktoken_encode.js -- the npm `tiktoken` package (WASM build of OpenAI's
// Rust tiktoken) as a peer for winnow-tokenize's exactness tests and bench.
//
//   node tiktoken_encode.js ranks ENC OUT.tiktoken   write ENC's ranks ("BASE64 RANK" lines)
//   node tiktoken_encode.js pattern ENC              print ENC's pat_str
//   node tiktoken_encode.js encode ENC < in.jsonl    {"id":..,"tokens":[..]} per line (encode_ordinary)
//   node tiktoken_encode.js bench ENC < in.jsonl     {"bytes":N,"seconds":S} (encode loop only)
// ENC: cl100k_base, o200k_base, gpt2, ...
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const [cmd, enc, out] = process.argv.slice(2);
const dir = path.join(__dirname, 'node_modules', 'tiktoken');

function model() {
  return JSON.parse(fs.readFileSync(path.join(dir, 'encoders', enc + '.json'), 'utf8'));
}

async function lines(fn) {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) fn(JSON.parse(line));
}

async function main() {
  if (cmd === 'ranks') {
    // bpe_ranks is "! START tok tok ..." groups; ranks count up from START.
    const t = model().bpe_ranks.split(' ');
    const o = [];
    let rank = 0;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '!') { rank = parseInt(t[++i], 10); continue; }
      o.push(t[i] + ' ' + rank++);
    }
    fs.writeFileSync(out, o.join('\n') + '\n');
    return;
  }
  if (cmd === 'pattern') { process.stdout.write(model().pat_str + '\n'); return; }
  const { get_encoding } = require(path.join(dir, 'tiktoken.cjs'));
  const e = get_encoding(enc);
  if (cmd === 'encode') {
    const buf = [];
    await lines((r) => {
      const text = typeof r.text === 'string' ? r.text : '';
      buf.push(JSON.stringify({ id: r.id, tokens: Array.from(e.encode_ordinary(text)) }));
      if (buf.length >= 1000) { process.stdout.write(buf.join('\n') + '\n'); buf.length = 0; }
    });
    if (buf.length) process.stdout.write(buf.join('\n') + '\n');
  } else if (cmd === 'bench') {
    const texts = [];
    await lines((r) => { if (typeof r.text === 'string') texts.push(r.text); });
    let bytes = 0;
    for (const t of texts) bytes += Buffer.byteLength(t, 'utf8');
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (const t of texts) n += e.encode_ordinary(t).length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(JSON.stringify({ bytes, seconds: s, tokens: n }) + '\n');
  } else {
    process.stderr.write('usage: tiktoken_encode.js ranks|pattern|encode|bench ENC [OUT]\n');
    process.exit(2);
  }
  e.free();
}
main().catch((err) => { process.stderr.write(String(err.stack || err) + '\n'); process.exit(1); });
