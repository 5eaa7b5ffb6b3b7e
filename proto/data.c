/* placeholder: filled in by its issue */
#include "proto/data.h"
