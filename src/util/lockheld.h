/*
 * lockheld.h — assert that the calling thread holds a mutex.
 *
 * A file's essay says "under the lock"; assert_held(&mu) says it in code,
 * in the test and sanitizer builds (release builds define NDEBUG and the
 * check compiles out). glibc records the owning thread of a locked mutex
 * (of every type, the default one included) in __data.__owner, so the
 * check reads one field and changes nothing. A read-write lock taken for
 * writing records its writer in __data.__cur_writer: assert_write_held.
 * Elsewhere they check nothing.
 */
#ifndef SLATE_UTIL_LOCKHELD_H
#define SLATE_UTIL_LOCKHELD_H

#include <assert.h>
#include <pthread.h>
#include <unistd.h>

#if defined(__GLIBC__)
#define mutex_held(m)     ((m)->__data.__owner == gettid())
#define rwlock_written(l) ((l)->__data.__cur_writer == gettid())
#else
#define mutex_held(m)     1
#define rwlock_written(l) 1
#endif

#define assert_held(m)       assert(mutex_held(m))
#define assert_write_held(l) assert(rwlock_written(l))

#endif
