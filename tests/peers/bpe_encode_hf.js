// bpe_encode_hf.js -- encode the "text" of each JSONL document with a
// tokenizer.json through Hugging Face tokenizers (npm), no added special
// tokens; print one JSON array of ids per document.
//   node bpe_encode_hf.js TOKENIZER.json DOCS.jsonl
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
async function main() {
  const [tj, docs] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tj);
  const out = [];
  for (const line of fs.readFileSync(docs, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const enc = await tok.encode(JSON.parse(line).text, null, { addSpecialTokens: false });
    out.push(JSON.stringify(Array.from(enc.getIds())));
  }
  process.stdout.write(out.join('\n') + '\n');
}
main().catch((e) => { console.error(e); process.exit(2); });
