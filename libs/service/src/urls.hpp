// A comma-separated URL list with every password masked, for messages.
#pragma once

#include <string>
#include <string_view>

namespace aether::service {

[[nodiscard]] std::string masked_urls(std::string_view urls);

}  // namespace aether::service
