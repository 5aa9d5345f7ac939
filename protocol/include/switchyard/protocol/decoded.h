// Decoding results of the protocol: the core's FieldError and Decoded.
#pragma once

#include "switchyard/core/field_error.h"

namespace switchyard::protocol {

using core::Decoded;
using core::FieldError;

}  // namespace switchyard::protocol
