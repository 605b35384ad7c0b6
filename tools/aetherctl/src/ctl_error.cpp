#include "ctl_error.hpp"

namespace aether::ctl {

int exit_code_for_status(long status) {
  if (status >= 200 && status < 300) return kExitOk;
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return kExitInvalid;
    case 401:
    case 403:
      return kExitAuth;
    case 404:
      return kExitNotFound;
    case 409:
      return kExitConflict;
    case 429:
    case 502:
    case 503:
    case 504:
      return kExitUnavailable;
    default:
      return status >= 500 ? kExitServer : kExitError;
  }
}

int exit_code_for_service_code(int code) { return exit_code_for_status(code); }

}  // namespace aether::ctl
