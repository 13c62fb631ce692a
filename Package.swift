// swift-tools-version: 6.1
import PackageDescription

/// Settings every MailFerry target shares: Swift 6 language mode comes from the tools version;
/// `ExistentialAny` keeps protocol-typed values visible as `any P` at every use.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // Homebrew's libarchive headers (keg-only, so not on the default paths), for the CArchive
    // module on macOS; every module that sees MailArchive's imports needs them.
    .unsafeFlags(
        ["-Xcc", "-I/opt/homebrew/opt/libarchive/include", "-Xcc", "-I/usr/local/opt/libarchive/include"],
        .when(platforms: [.macOS])),
]

/// libarchive is linked statically on Linux, with the linker's dead-code removal keeping only the
/// formats MailFerry uses (tar, zip) and their compressors. Debian's shared libarchive pulls in
/// libxml2 and ICU (for the xar format) at every start: about 22 MB read from a cold disk, a
/// third of `mailferry archive`'s start-up. Its compressors stay shared libraries (Debian: the
/// -dev packages `scripts/install-build-deps.sh` installs). macOS links Homebrew's libarchive.
let libarchiveLinking: [LinkerSetting] = [
    .linkedLibrary(":libarchive.a", .when(platforms: [.linux])),
    .linkedLibrary("nettle", .when(platforms: [.linux])),
    .linkedLibrary("lzma", .when(platforms: [.linux])),
    .linkedLibrary("zstd", .when(platforms: [.linux])),
    .linkedLibrary("lz4", .when(platforms: [.linux])),
    .linkedLibrary("bz2", .when(platforms: [.linux])),
    .linkedLibrary("z", .when(platforms: [.linux])),
    // Its format table names the xar writer (libxml2); release builds drop it (`--gc-sections`),
    // debug builds link without that and need the library.
    .linkedLibrary("xml2", .when(platforms: [.linux], configuration: .debug)),
    .linkedLibrary("archive", .when(platforms: [.macOS])),
    // Homebrew's libarchive is keg-only (not on the default paths).
    .unsafeFlags(["-L/opt/homebrew/opt/libarchive/lib", "-L/usr/local/opt/libarchive/lib"], .when(platforms: [.macOS])),
]

let package = Package(
    name: "MailFerry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mailferry", targets: ["mailferry"]),
        .executable(name: "mailferry-profile-gen", targets: ["mailferry-profile-gen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // zlib, for .gz mbox files (and later archives); Debian: zlib1g-dev.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // OpenSSL's libcrypto, for SHA-256 on Linux (macOS uses CommonCrypto); Debian: libssl-dev.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // libarchive's headers, for compressed archives (tar with gzip/zstd/xz/bzip2, zip); Debian:
        // libarchive-dev. How it is linked is MailArchive's `linkerSettings` (`libarchiveLinking`).
        .systemLibrary(
            name: "CArchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),
        // The model every store and the engine share: envelopes, flags, folders, errors, store protocols.
        .target(
            name: "MailCore",
            dependencies: [.target(name: "CLibCrypto", condition: .when(platforms: [.linux]))],
            swiftSettings: swiftSettings),
        // On-disk formats (Maildir, mbox, gzip streams); no networking.
        .target(name: "MailFormats", dependencies: ["MailCore", "CZlib", "CProcessTuning"], swiftSettings: swiftSettings),
        // Archives: streaming tar/zip reading and writing with safety limits, MailFerry's archive
        // layout (a Maildir tree plus manifest.jsonl) and its verifier; no networking.
        .target(
            name: "MailArchive", dependencies: ["MailCore", "MailFormats", "CArchive", "CProcessTuning"],
            swiftSettings: swiftSettings,
            linkerSettings: libarchiveLinking),
        // IMAP grammar: response types, a bounded incremental parser, the command encoder (ByteBuffer only).
        .target(
            name: "IMAPCore",
            dependencies: ["MailCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // Progress deadlines for a connection (a server that trickles): the rules without I/O and
        // their event-loop timer, shared by the IMAP and POP3 clients.
        .target(
            name: "NetworkProgress", dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // IMAP connections: NIO channel, TLS and STARTTLS, authentication, pipelined commands.
        .target(
            name: "IMAPClient",
            dependencies: [
                "IMAPCore", "MailCore", "CZlib", "NetworkProgress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings),
        // POP3: response parser and command encoder (fuzzable), NIO connection with TLS and STLS.
        .target(
            name: "POP3Client",
            dependencies: [
                "MailCore", "NetworkProgress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings),
        // Stores: the only place that knows both a format/protocol and the MailCore store protocols.
        .target(
            name: "Stores",
            dependencies: ["MailCore", "MailFormats", "MailArchive", "IMAPCore", "IMAPClient", "POP3Client", "NetworkProgress"],
            swiftSettings: swiftSettings),
        // The copy engine: plans, streams and reports; knows stores only through MailCore protocols.
        .target(name: "Engine", dependencies: ["MailCore"], swiftSettings: swiftSettings),
        // Checkpoints: MailCore's CheckpointStore over SQLite (GRDB; Debian: libsqlite3-dev).
        .target(
            name: "Checkpoints",
            dependencies: ["MailCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        // Command line: argument parsing, progress rendering, exit codes.
        .target(
            name: "MailFerryCLI",
            dependencies: [
                "MailCore", "MailFormats", "MailArchive", "Stores", "Engine", "Checkpoints", "IMAPClient", "POP3Client",
                "NetworkProgress", "ProviderProfiles", "BuiltInProfiles", "TOMLParser",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Process-wide settings the executable applies at start (glibc malloc arenas).
        .target(name: "CProcessTuning"),
        .executableTarget(name: "mailferry", dependencies: ["MailFerryCLI", "CProcessTuning"], swiftSettings: swiftSettings),
        // libFuzzer target for the IMAP response parser (scripts/fuzz.sh); a corpus replayer otherwise.
        .executableTarget(
            name: "IMAPResponseFuzzer",
            dependencies: ["IMAPCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // libFuzzer target for the POP3 response parser (scripts/fuzz.sh pop3); a corpus replayer otherwise.
        .executableTarget(
            name: "POP3ResponseFuzzer",
            dependencies: ["POP3Client", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        // TOML 1.0 reader for configuration files: positions on every key and value, explicit limits, no dependencies.
        .target(name: "TOMLParser", swiftSettings: swiftSettings),
        // Provider profiles: the model, the strict TOML decoder, the user catalog, Swift source for built-ins.
        .target(name: "ProviderProfiles", dependencies: ["TOMLParser"], swiftSettings: swiftSettings),
        // mailferry-profile-gen: compiles profiles/*.toml into Swift for EmbedProfiles (logic in ProviderProfiles).
        // The target is named like its product because a plugin cannot depend on an executable target whose
        // product has another name (swiftlang/swift-package-manager#8831); its sources stay in Sources/ProfileGenerator.
        .executableTarget(
            name: "mailferry-profile-gen", dependencies: ["ProviderProfiles"], path: "Sources/ProfileGenerator",
            swiftSettings: swiftSettings),
        // Build-tool plugin: runs mailferry-profile-gen over profiles/*.toml at build time.
        .plugin(name: "EmbedProfiles", capability: .buildTool(), dependencies: ["mailferry-profile-gen"]),
        // The built-in profiles, generated from profiles/ by the EmbedProfiles plugin.
        .target(
            name: "BuiltInProfiles", dependencies: ["ProviderProfiles"], swiftSettings: swiftSettings,
            plugins: [.plugin(name: "EmbedProfiles")]),
        // Test support: message generator, in-memory store, helpers for running the binary.
        .target(name: "MailTesting", dependencies: ["MailCore"], swiftSettings: swiftSettings),

        .testTarget(name: "MailCoreTests", dependencies: ["MailCore", "MailTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IMAPCoreTests",
            dependencies: ["IMAPCore", "MailCore", "MailTesting", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "IMAPClientTests",
            dependencies: [
                "IMAPClient", "IMAPCore", "MailCore", "MailTesting", "NetworkProgress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "POP3ClientTests",
            dependencies: [
                "POP3Client", "MailCore", "MailTesting", "NetworkProgress", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MailFormatsTests", dependencies: ["MailFormats", "MailCore", "MailTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MailArchiveTests", dependencies: ["MailArchive", "MailFormats", "MailCore", "MailTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StoresTests",
            dependencies: [
                "Stores", "Engine", "Checkpoints", "MailFormats", "MailCore", "MailTesting", "IMAPClient", "IMAPCore",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EngineTests", dependencies: ["Engine", "Checkpoints", "MailCore", "MailTesting", "Stores"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CheckpointsTests",
            dependencies: ["Checkpoints", "MailCore", "MailTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MailFerryCLITests",
            dependencies: ["MailFerryCLI", "Engine", "Checkpoints", "Stores", "MailFormats", "MailCore", "MailTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ProfilesTests", dependencies: ["TOMLParser", "ProviderProfiles", "BuiltInProfiles"],
            swiftSettings: swiftSettings),
    ]
)
