/*
 * routes.c — every address Slate answers, in one table. The router, the
 * metrics and the docs all read this table; nothing else lists routes.
 */
#include "api/api.h"

const struct route api_routes[] = {
    {"GET", "/healthz", health_live, 0},
    {"GET", "/readyz", health_ready, 0},
    {"GET", "/.well-known/security.txt", health_security_txt, 0},
    {"GET", "/security-policy", health_security_policy, 0},
    {"GET", "/metrics", health_metrics, 0},
    {"POST", "/api/v1/auth/login", auth_login, ROUTE_JSON_BODY},
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
