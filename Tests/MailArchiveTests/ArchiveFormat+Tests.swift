import MailArchive
import Testing

struct ArchiveFormatTests {
    @Test(
        "--archive-format values name their format, in any case",
        arguments: [
            ("zst", ArchiveFormat.tarZstd), ("ZSTD", .tarZstd), ("tar.zst", .tarZstd), ("tzst", .tarZstd),
            ("gz", .tarGzip), ("gzip", .tarGzip), ("tgz", .tarGzip), ("xz", .tarXz), ("txz", .tarXz),
            ("bz2", .tarBzip2), ("bzip2", .tarBzip2), ("tbz2", .tarBzip2), ("tar", .tar), ("Zip", .zip),
        ])
    func optionValues(text: String, format: ArchiveFormat) {
        #expect(ArchiveFormat(option: text) == format)
    }

    @Test("unknown --archive-format values are refused", arguments: ["", "rar", "7z", "lz4", "tar.lz", ".zip", "zip "])
    func unknownOptionValues(text: String) {
        #expect(ArchiveFormat(option: text) == nil)
    }

    @Test("each format's extension names it both as an option value and at the end of a file name", arguments: ArchiveFormat.allCases)
    func extensionsRoundTrip(format: ArchiveFormat) {
        #expect(ArchiveFormat(option: format.fileExtension) == format)
        #expect(ArchiveFormat(fileName: "mail-2026-11-28.\(format.fileExtension)") == format)
        #expect(ArchiveFormat(fileName: "mail-2026-11-28") == nil)
    }
}
