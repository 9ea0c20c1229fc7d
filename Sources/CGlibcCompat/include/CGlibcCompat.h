// Nothing to call from Swift: the target only defines glibc symbols the static libraries need
// (see arc4random.c).
