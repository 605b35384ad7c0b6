// Everything libs/bus offers, in one include.
#pragma once

#include "aether/bus/codec.hpp"
#include "aether/bus/connection.hpp"
#include "aether/bus/errors.hpp"
#include "aether/bus/headers.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "aether/bus/micro.hpp"
#include "aether/bus/pull.hpp"
#include "aether/bus/serve.hpp"
