/* placeholder: filled in by its issue */
#include "proto/session.h"
