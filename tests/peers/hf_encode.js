#!/usr/bin/env node
// hf_encode.js -- Hugging Face `tokenizers` (npm, native Rust binding) as a
// peer for winnow-tokenize's exactness tests and bench.
//
//   node hf_encode.js encode TOKENIZER.json < in.jsonl   {"id":..,"tokens":[..]} per line
//   node hf_encode.js bench TOKENIZER.json < in.jsonl    {"bytes":N,"seconds":S} (encode loop only)
// Special tokens are not added (addSpecialTokens: false). Note that HF
// matches added tokens inside the text; winnow never does.
'use strict';
const path = require('path');
const readline = require('readline');
const { Tokenizer } = require(path.join(__dirname, 'node_modules', 'tokenizers'));
const [cmd, file] = process.argv.slice(2);

async function main() {
  const tok = Tokenizer.fromFile(file);
  const recs = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) {
    const r = JSON.parse(line);
    recs.push({ id: r.id, text: typeof r.text === 'string' ? r.text : '' });
  }
  const opts = { addSpecialTokens: false };
  if (cmd === 'encode') {
    for (let i = 0; i < recs.length; i += 500) {
      const chunk = recs.slice(i, i + 500);
      const enc = await tok.encodeBatch(chunk.map((r) => r.text), opts);
      process.stdout.write(chunk.map((r, k) => JSON.stringify({ id: r.id, tokens: enc[k].getIds() })).join('\n') + '\n');
    }
  } else if (cmd === 'bench') {
    let bytes = 0;
    for (const r of recs) bytes += Buffer.byteLength(r.text, 'utf8');
    const t0 = process.hrtime.bigint();
    // encodeBatch in chunks: one await per chunk, not per document (the
    // per-call promise overhead would dominate); with
    // TOKENIZERS_PARALLELISM=false the batch runs on one thread.
    let n = 0;
    for (let i = 0; i < recs.length; i += 256) {
      const enc = await tok.encodeBatch(recs.slice(i, i + 256).map((r) => r.text), opts);
      for (const e of enc) n += e.getIds().length;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(JSON.stringify({ bytes, seconds: s, tokens: n }) + '\n');
  } else {
    process.stderr.write('usage: hf_encode.js encode|bench TOKENIZER.json < in.jsonl\n');
    process.exit(2);
  }
}
main().catch((err) => { process.stderr.write(String(err.stack || err) + '\n'); process.exit(1); });
