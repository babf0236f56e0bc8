#ifndef NEWSD_OPENAPI_H
#define NEWSD_OPENAPI_H
/*
 * openapi — the OpenAPI 3.1 document of GET /openapi.json, generated from the operation and
 * parameter tables in openapi.c and the running configuration (limits).
 */
#include <jansson.h>

#include "config.h"

/* A new document (caller owns it), or NULL with *errmsg (caller frees). */
json_t *openapi_document(const struct config *cfg, char **errmsg);

#endif
