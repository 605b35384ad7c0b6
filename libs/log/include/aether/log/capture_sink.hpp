// CaptureSink: an spdlog sink that keeps every formatted line in memory, so tests
// can assert what a component logged:
//
//   auto sink = std::make_shared<aether::log::CaptureSink>();
//   aether::log::init({.service = "t"}, sink);
//   spdlog::info("hello");
//   sink->lines();  // {"{\"ts\":...,\"msg\":\"hello\"}"}
//
// Thread-safe: any thread may log while another reads lines().
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <string>
#include <vector>

namespace aether::log {

class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Formatted lines without their trailing newline.
  [[nodiscard]] std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    lines_.clear();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string line(buf.data(), buf.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines_.push_back(std::move(line));
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;  // guarded by base_sink::mutex_
};

}  // namespace aether::log
