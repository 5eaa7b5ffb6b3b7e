#ifndef TETHER_PROTO_TLV_H
#define TETHER_PROTO_TLV_H
#endif
