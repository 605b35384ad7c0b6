#include "aether/redis/script.hpp"

#include <openssl/sha.h>

#include <array>
#include <vector>

namespace aether::redis {

std::string sha1_hex(std::string_view data) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

Script::Script(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

Result<Reply> Script::run(Connection& connection, std::initializer_list<std::string_view> keys,
                          std::initializer_list<std::string_view> args) const {
  const std::string numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(sha1_);
  argv.push_back(numkeys);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = connection.command(argv);
  if (reply || reply.error().code != Errc::kServerError ||
      reply.error().message.find("NOSCRIPT") == std::string::npos)
    return reply;
  fallbacks_.fetch_add(1);
  argv[0] = "EVAL";
  argv[1] = source_;
  return connection.command(argv);
}

}  // namespace aether::redis
