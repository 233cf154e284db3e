#!/usr/bin/env node
// Answers with what the npm sms-segments-calculator says about a batch of message bodies, so the
// Python port can be compared against it (tests/messaging/test_segments.py) and timed beside it
// (bench/segments.py). One process per batch: JSON in on stdin, JSON out on stdout.
//
//   {"texts": [...]}
//     -> {"version", "plain": [[encoding, segments, characters, nonGsm, text], ...], "smart": [...]}
//        (smart encoding off, then on; nonGsm is getNonGsmCharacters(), repeats included; text
//        is the graphemes joined again, i.e. the body after smart encoding)
//   {"mode": "graphemes", "texts": [...]}
//     -> {"version", "widths": [[UTF-16 length of each grapheme], ...]}
//        (the calculator's own splitting: grapheme-splitter, then CR LF taken apart)
//   {"mode": "bench", "texts": [...], "minSeconds": 1}
//     -> {"version", "messages", "seconds", "perSecond"}
//        (timed in-process with process.hrtime over whole passes of the corpus, after a warm-up,
//        so process start and JSON parsing are not counted; smart encoding off)
'use strict';

const { SegmentedMessage } = require('sms-segments-calculator');
const { version } = require('sms-segments-calculator/package.json');
const { splitGraphemes } = require('sms-segments-calculator/dist/libs/textUtils');

function describe(text, smartEncoding) {
  const message = new SegmentedMessage(text, 'auto', smartEncoding);
  return [
    message.encodingName,
    message.segmentsCount,
    message.numberOfCharacters,
    message.getNonGsmCharacters(),
    message.graphemes.join(''),
  ];
}

function bench(texts, minSeconds) {
  const pass = () => {
    let sink = 0;
    for (const text of texts) {
      sink += new SegmentedMessage(text, 'auto', false).segmentsCount;
    }
    return sink;
  };
  // Warm up on a slice (the calculator is slow enough that a whole extra pass would dominate) so
  // that the JIT has compiled it before timing starts.
  for (const text of texts.slice(0, 300)) new SegmentedMessage(text, 'auto', false);
  let messages = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  do {
    pass();
    messages += texts.length;
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  } while (elapsed < minSeconds);
  return { version, messages, seconds: elapsed, perSecond: messages / elapsed };
}

function main(input) {
  const request = JSON.parse(input);
  if (request.mode === 'bench') {
    return bench(request.texts, request.minSeconds || 1);
  }
  if (request.mode === 'graphemes') {
    return {
      version,
      widths: request.texts.map((text) => splitGraphemes(text).map((grapheme) => grapheme.length)),
    };
  }
  return {
    version,
    plain: request.texts.map((text) => describe(text, false)),
    smart: request.texts.map((text) => describe(text, true)),
  };
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify(main(Buffer.concat(chunks).toString('utf8'))));
});
