/* The includes cmocka needs, in the order it needs them. */
#ifndef SLATE_TESTS_CMOCKA_ALL_H
#define SLATE_TESTS_CMOCKA_ALL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#endif
