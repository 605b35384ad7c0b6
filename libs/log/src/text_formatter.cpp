// Text lines for people: spdlog's pattern formatter plus a flag that appends the trace ids.
#include <spdlog/pattern_formatter.h>

#include "aether/trace/trace.hpp"
#include "formatters.hpp"

namespace aether::log::detail {
namespace {

// %* : " trace_id=<hex> span_id=<hex>" when a span is active on the logging thread.
class TraceIdsFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    auto ctx = trace::current_context();
    if (!ctx || !ctx->valid()) return;
    const std::string text = " trace_id=" + ctx->trace_id_hex() + " span_id=" + ctx->span_id_hex();
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TraceIdsFlag>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_text_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<TraceIdsFlag>('*');
  // %n is the logger name, which init() sets to the service name.
  f->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-8l%$ %n: %v%*");
  return f;
}

}  // namespace aether::log::detail
