#!/usr/bin/env node
// readability.js -- the peer extractor for winnow-extract: Mozilla
// Readability over jsdom, as Firefox's reader view runs it.
// Usage: node readability.js FILE.jsonl   (records {"id", "html"}; "-" = stdin)
// Prints one {"id", "text"} per record (text = article.textContent, "" when
// Readability finds no article) and, on stderr, "pages N seconds S".
'use strict';
const fs = require('fs');
const { JSDOM, VirtualConsole } = require('jsdom');
const { Readability } = require('@mozilla/readability');

const path = process.argv[2] || '-';
const data = fs.readFileSync(path === '-' ? 0 : path, 'utf8');
const vc = new VirtualConsole(); // swallow the page's CSS/script complaints
const out = [];
const t0 = process.hrtime.bigint();
let n = 0;
for (const line of data.split('\n')) {
  if (!line.trim()) continue;
  const rec = JSON.parse(line);
  let text = '';
  try {
    const dom = new JSDOM(rec.html, { url: rec.url || 'https://example.org/', virtualConsole: vc });
    const art = new Readability(dom.window.document).parse();
    if (art && art.textContent) text = art.textContent;
    dom.window.close();
  } catch (e) {
    text = '';
  }
  out.push(JSON.stringify({ id: rec.id, text }));
  n++;
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(`pages ${n} seconds ${secs.toFixed(3)}\n`);
