// The text normalisation every environment-variable parser applies (libs/config's
// fields, libs/trace's OTEL_* reader): ASCII lower case, and trimming white space.
#pragma once

#include <string>
#include <string_view>

namespace aether::config {

[[nodiscard]] std::string lower(std::string_view s);
[[nodiscard]] std::string_view trim(std::string_view s);

}  // namespace aether::config
