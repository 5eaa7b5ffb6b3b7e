/* placeholder: filled in by its issue */
#include "proto/tlv.h"
