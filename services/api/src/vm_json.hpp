// The JSON faces of the api's records and the mapping of the layers' errors
// onto problem+json answers (pure functions; any thread).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "aether/bus/errors.hpp"
#include "aether/rest/problem.hpp"
#include "aether/v1/vm.pb.h"
#include "store_error.hpp"
#include "vm_store.hpp"

namespace aether::api {

// The documented defaults of a VmSpec (services/api/openapi.json).
inline constexpr std::string_view kDefaultTemplate = "default";
inline constexpr std::uint32_t kDefaultVcpus = 1;
inline constexpr std::uint32_t kDefaultMemoryMib = 256;
inline constexpr std::uint32_t kDefaultTtlSeconds = 3600;
inline constexpr std::uint32_t kDefaultIdleTimeoutSeconds = 600;

// A VmSpec from a POST /v1/vms body (strictly read: unknown fields, wrong
// types and out-of-range values are a 422 naming each field), with the
// defaults filled in.
[[nodiscard]] std::expected<v1::VmSpec, rest::Problem> parse_vm_spec(const nlohmann::json& body);
// proto3 JSON of a spec, every field present (what vms.spec holds).
[[nodiscard]] std::string spec_to_json(const v1::VmSpec& spec);

[[nodiscard]] nlohmann::json vm_to_json(const VmRecord& vm);
[[nodiscard]] nlohmann::json event_to_json(const VmEventRecord& event);
// A bus VmEvent in the same shape as GET /v1/vms/{id}/events (the VmEvent
// schema: short state names, `sequence` = its AETHER_EVENTS sequence), for
// GET /v1/events. nullopt for an event the projection would skip too (no VM
// id, no or an unknown state).
[[nodiscard]] std::optional<nlohmann::json> event_to_json(std::int64_t stream_seq,
                                                          const v1::VmEvent& event);

[[nodiscard]] rest::Problem store_problem(const StoreError& error);
// The problem type of a create over a tenant quota (403; errors[0].field names
// the quota: max_vms | max_vcpus | max_memory_mib).
inline constexpr std::string_view kQuotaExceededType = "urn:aether:problem:quota-exceeded";
// A bus call's failure: no responders (nobody holds the VM) -> 409 with
// `what`, timeout -> 504, not connected -> 503, a worker's error reply -> its
// code (4xx kept, else 502).
[[nodiscard]] rest::Problem bus_problem(const bus::Error& error, const std::string& what);

// Guest output for a curl user: UTF-8 with invalid bytes replaced by U+FFFD.
[[nodiscard]] std::string sanitize_utf8(std::string_view bytes);
[[nodiscard]] std::string base64_encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace aether::api
