#!/usr/bin/env node
'use strict';
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'sdk', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('kafkalab is not built yet: run `npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(1);
}
require(path.join(__dirname, '..', 'dist', 'sdk', 'util', 'warmup.js')).enableCompileCache();
require(entry)
  .main(process.argv.slice(2))
  .then((code) => { if (code) process.exitCode = code; })
  .catch((err) => {
    // An unexpected error's stack may quote a URL with a password: print it through the one redaction helper.
    const { redactText } = require(path.join(__dirname, '..', 'dist', 'sdk', 'util', 'redact.js'));
    process.stderr.write(redactText((err && err.stack) || String(err)));
    process.stderr.write('\n');
    process.exit(1);
  });
