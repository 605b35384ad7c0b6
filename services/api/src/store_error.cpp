#include "store_error.hpp"

namespace aether::api {

StoreError::StoreError(const pg::Error& e) : message(e.message), field(e.constraint) {
  switch (e.code) {
    case pg::Errc::kUnavailable:
    case pg::Errc::kTimeout:
      code = StoreErrc::kUnavailable;
      break;
    case pg::Errc::kConflict:
      code = StoreErrc::kConflict;
      break;
    case pg::Errc::kInvalid:
      code = StoreErrc::kInvalid;
      break;
    case pg::Errc::kBug:
      code = StoreErrc::kInternal;
      break;
  }
}

int StoreError::http_status() const {
  switch (code) {
    case StoreErrc::kUnavailable:
      return 503;
    case StoreErrc::kNotFound:
      return 404;
    case StoreErrc::kConflict:
      return 409;
    case StoreErrc::kInvalid:
      return 422;
    case StoreErrc::kQuotaExceeded:
      return 403;
    case StoreErrc::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace aether::api
