// subject.h — kept for existing includes: the object allocator interface
// now lives in check/subjects/object_subject.h beside the page, virtual and
// arena interfaces.
#pragma once

#include "check/subjects/object_subject.h"
