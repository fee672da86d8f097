// hf_train.js -- train Hugging Face tokenizers' default BpeTrainer (npm
// tokenizers 0.23.2: vocab 30000, min_frequency 0, no specials, no initial
// alphabet; input read line by line, each line with its '\n') with the
// pre-tokenizer winnow writes: Sequence[Split(REGEX, Isolated),
// ByteLevel(use_regex=false)]. Writes the trained tokenizer.json.
//
//   node hf_train.js PATTERN OUT.json FILE...
// PATTERN is a regex or one of gpt2 / cl100k / o200k (read from npm tiktoken).
'use strict';
const path = require('path');
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

function named(p) {
  const f = path.join(__dirname, 'node_modules/tiktoken/encoders', p + '_base.json');
  const alt = path.join(__dirname, 'node_modules/tiktoken/encoders', p + '.json');
  for (const x of [f, alt]) if (fs.existsSync(x)) return JSON.parse(fs.readFileSync(x, 'utf8')).pat_str;
  return null;
}
const [pat, out, ...files] = process.argv.slice(2);
if (!out || !files.length) { console.error('usage: hf_train.js PATTERN OUT.json FILE...'); process.exit(2); }
const regex = named(pat) || pat;
const cfg = {
  version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
  pre_tokenizer: { type: 'Sequence', pretokenizers: [
    { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false } ] },
  post_processor: null,
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
           end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
           vocab: {}, merges: [] },
};
const tok = Tokenizer.fromString(JSON.stringify(cfg));
const t0 = process.hrtime.bigint();
tok.train(files);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
tok.save(out, false);
console.error(`hf_train: ${secs.toFixed(3)} s, vocab ${tok.getVocabSize(true)}`);
