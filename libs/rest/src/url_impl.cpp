// Boost.URL compiled into this library: Debian's libboost1.81-dev ships its
// headers but not a libboost_url, and the library supports this header-only use.
#include <boost/url/src.hpp>  // NOLINT
