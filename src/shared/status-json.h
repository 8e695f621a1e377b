/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "status.h"

/* The object `kcrashctl status --json` prints (docs/cli-json.md). */
int status_to_json(const KcrashStatus *s, char **ret_json);
