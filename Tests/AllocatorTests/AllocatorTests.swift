import CJemalloc
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Linking jemalloc is meant to make it the allocator of the whole process (the server's loop
/// spends a quarter less per trigger with it). This test binary links it through the same target
/// and link line as the server, so a link order that let glibc's malloc win again would show here;
/// that the server itself runs on it is checked end to end (`theServerRunsOnJemalloc`).
@Suite struct AllocatorTests {
    @Test func mallocIsServedByJemalloc() throws {
        let before = CJemalloc_threadAllocatedBytes()
        try #require(before >= 0, "jemalloc's statistics are not available")
        // Written and read back around the count, so no optimiser can drop the allocation.
        let block = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        block.storeBytes(of: 7, toByteOffset: 1 << 19, as: UInt8.self)
        let after = CJemalloc_threadAllocatedBytes()
        #expect(block.load(fromByteOffset: 1 << 19, as: UInt8.self) == 7)
        block.deallocate()
        #expect(after - before >= 1 << 20)
    }

    @Test func purgingAllArenasSucceeds() {
        #expect(CJemalloc_purgeAll() == 0)
    }
}
