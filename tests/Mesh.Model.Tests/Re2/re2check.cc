// Judges regular expressions with the real RE2 (Debian's libre2), as Envoy compiles a safe_regex: default options
// but quiet. Reads one pattern per line, hex-encoded (a pattern may hold any byte), and writes one line for each:
// "ok <program size>" or "error <RE2 error code> <RE2's message>". Built and run by the model tests (Re2Oracle).
#include <re2/re2.h>
#include <iostream>
#include <string>

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::string pattern;
    bool valid = line.size() % 2 == 0;
    for (size_t i = 0; valid && i < line.size(); i += 2) {
      int high = HexValue(line[i]), low = HexValue(line[i + 1]);
      valid = high >= 0 && low >= 0;
      pattern.push_back(static_cast<char>(high * 16 + low));
    }
    if (!valid) {
      std::cout << "bad-input\n" << std::flush;
      continue;
    }
    RE2 re(pattern, RE2::Quiet);
    if (re.ok()) {
      std::cout << "ok " << re.ProgramSize() << "\n";
    } else {
      std::cout << "error " << re.error_code() << " " << re.error() << "\n";
    }
    std::cout << std::flush;
  }
  return 0;
}
