import CJemalloc
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Linking jemalloc is meant to make it the allocator of the whole process (the server's loop
/// spends a quarter less per trigger with it): this test binary links it the same way the server
/// does, so a link order that let glibc's malloc win again would show here.
@Suite struct AllocatorTests {
    @Test func mallocIsServedByJemalloc() throws {
        let before = CJemalloc_threadAllocatedBytes()
        try #require(before >= 0, "jemalloc's statistics are not available")
        let block = malloc(1 << 20)
        let after = CJemalloc_threadAllocatedBytes()
        free(block)
        #expect(after - before >= 1 << 20)
    }

    @Test func purgingAllArenasSucceeds() {
        #expect(CJemalloc_purgeAll() == 0)
    }
}
