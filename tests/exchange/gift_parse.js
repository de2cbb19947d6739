// Parse GIFT from standard input with gift-pegjs (an independent parser) and print the result as JSON.
// Used by tests/exchange/test_gift.py; a syntax error exits 1 with the parser's message and location.
const { parse } = require("gift-pegjs");

let source = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (source += chunk));
process.stdin.on("end", () => {
  try {
    process.stdout.write(JSON.stringify(parse(source)));
  } catch (error) {
    const where = error.location ? ` at line ${error.location.start.line}, column ${error.location.start.column}` : "";
    process.stderr.write(`${error.name}: ${error.message}${where}\n`);
    process.exit(1);
  }
});
