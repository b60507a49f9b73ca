/*
 * problem.c — see problem.h.
 */
#include "http/problem.h"

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

char *
problem_json(int status, const char *detail, const char *request_id, json_t *errors)
{
	json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title",
	                      http_reason(status), "status", status, "detail", detail, "request_id",
	                      request_id);
	char *s;
	if (p == NULL) { /* detail was not UTF-8: never echo it */
		json_decref(errors);
		p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
		              http_reason(status), "status", status, "request_id", request_id);
	} else if (errors != NULL) {
		json_object_set_new(p, "errors", errors);
	}
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}
