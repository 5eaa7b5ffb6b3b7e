#ifndef TETHER_PROTO_MAC_H
#define TETHER_PROTO_MAC_H
#endif
