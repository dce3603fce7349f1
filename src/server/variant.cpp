#include "server/variant.h"

#ifndef TSUKU_VARIANT_BACKEND
#error "TSUKU_VARIANT_BACKEND must name the variant's backend"
#endif

namespace tsuku::server {

Backend compiled_backend() {
    static const Backend b = *parse_backend(TSUKU_VARIANT_BACKEND);
    return b;
}

}  // namespace tsuku::server
