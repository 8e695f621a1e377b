/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* jansson in the root collector, loaded when first needed (issue 15): it
 * runs at every boot, mostly with nothing to collect, and then writes no
 * JSON at all. kcrash-collect links json-lazy.c, which defines jansson's
 * functions it calls as calls through pointers that dlopen(3) resolves on
 * the first use (dlopen-util.h); every other program links jansson itself.
 *
 * json_dlopen() loads it ahead of the first use, so that a collection that
 * cannot write report.json says why before it starts: 0 when loaded (always,
 * in a program that links jansson), -EOPNOTSUPP or -ELIBBAD with a sentence
 * naming the library in *reterr_message otherwise. Does not log. */
int json_dlopen(const char **reterr_message);
