// bpe_equiv.js -- do our tokenizer.json (through Hugging Face tokenizers)
// and our tokenizer.tiktoken (through npm tiktoken, the WASM build of
// OpenAI's Rust code) encode the same text to the same ids?
//
//   node bpe_equiv.js DIR DOCS.jsonl [STRIDE]
// Reads DIR/tokenizer.json, DIR/tokenizer.tiktoken, DIR/tokenizer.meta.json;
// encodes the "text" of every STRIDE-th document (ordinary text: specials in
// the text are not special) and prints "docs N tokens T mismatches M" and
// the first mismatches. Also checks that decoding gives the text back.
// Exit 0 when everything agrees.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');
const { Tiktoken } = require('tiktoken');

async function main() {
  const [dir, docs, strideArg] = process.argv.slice(2);
  const stride = parseInt(strideArg || '1', 10);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.meta.json'), 'utf8'));
  const hf = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
  const tt = new Tiktoken(fs.readFileSync(path.join(dir, 'tokenizer.tiktoken'), 'utf8'), meta.specials, meta.pattern);
  const lines = fs.readFileSync(docs, 'utf8').split('\n');
  let n = 0, ntok = 0, bad = 0;
  for (let i = 0; i < lines.length; i += stride) {
    if (!lines[i].trim()) continue;
    const text = JSON.parse(lines[i]).text;
    if (typeof text !== 'string') continue;
    const a = Array.from(tt.encode_ordinary(text));
    // HF matches added (special) tokens inside text; tiktoken's
    // encode_ordinary does not. Our corpora have none; skip docs with one.
    if (Object.keys(meta.specials).some((s) => text.includes(s))) continue;
    const enc = await hf.encode(text, null, { addSpecialTokens: false });
    const b = Array.from(enc.getIds());
    n++;
    ntok += a.length;
    let same = a.length === b.length && a.every((v, k) => v === b[k]);
    // compare bytes: TextDecoder would drop a leading U+FEFF
    const back = Buffer.from(tt.decode(new Uint32Array(a)));
    const decodeOk = back.equals(Buffer.from(text, 'utf8'));
    if (!decodeOk) same = false;
    if (!same) {
      bad++;
      if (bad <= 3) {
        let k = 0;
        while (k < a.length && a[k] === b[k]) k++;
        console.log(`mismatch in document line ${i + 1} at token ${k}: tiktoken ${JSON.stringify(a.slice(k, k + 5))} hf ${JSON.stringify(b.slice(k, k + 5))}${decodeOk ? '' : ' (decode differs)'}`);
      }
    }
  }
  tt.free();
  console.log(`docs ${n} tokens ${ntok} mismatches ${bad}`);
  process.exit(bad || n === 0 ? 1 : 0);
}
main().catch((e) => { console.error(e); process.exit(2); });
