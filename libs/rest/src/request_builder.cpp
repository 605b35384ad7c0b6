#include "request_builder.hpp"

#include <array>
#include <boost/url/parse.hpp>
#include <random>

namespace aether::rest {

bool split_target(std::string_view target, Request& out) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return false;
  out.path = std::string(parsed->encoded_path());
  for (auto param : parsed->params()) {
    out.query.emplace_back(param.key, param.has_value ? param.value : std::string());
  }
  return true;
}

std::string request_id_for(std::string_view sent) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  };
  if (!sent.empty() && sent.size() <= 128 && std::all_of(sent.begin(), sent.end(), ok)) {
    return std::string(sent);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto bits = rng();
    for (int i = 0; i < 16; ++i) {
      id[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

void copy_headers(const BeastRequest& in, Request& out) {
  for (const auto& field : in) {
    out.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
}

}  // namespace aether::rest
