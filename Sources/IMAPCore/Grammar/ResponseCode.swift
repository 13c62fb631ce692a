/// A response code in brackets after OK, NO, BAD, PREAUTH or BYE (RFC 3501 §7.1, RFC 5530,
/// RFC 4315 UIDPLUS, RFC 7162 CONDSTORE, RFC 2221 REFERRAL, …). Unknown codes are kept.
public enum ResponseCode: Sendable, Hashable {
    case alert
    case capability([String])
    case permanentFlags([String])
    case uidValidity(UInt32)
    case uidNext(UInt32)
    case unseen(UInt32)
    case highestModSeq(UInt64)
    case noModSeq
    case readOnly
    case readWrite
    case tryCreate
    /// `[APPENDUID uidvalidity uids]`: where APPEND put the message(s).
    case appendUID(validity: UInt32, uids: UIDSet)
    /// `[COPYUID uidvalidity source destination]`.
    case copyUID(validity: UInt32, source: UIDSet, destination: UIDSet)
    case overQuota
    case limit
    case unavailable
    case alreadyExists
    case nonExistent
    case authenticationFailed
    case authorizationFailed
    case expired
    case privacyRequired
    case contactAdmin
    case noPermission
    case inUse
    case expungeIssued
    case corruption
    case serverBug
    case clientBug
    case cannot
    case parse
    case badCharset([String])
    case closed
    /// `[REFERRAL url]`: never followed.
    case referral(String)
    /// Any other code, with its raw text.
    case other(name: String, text: String?)
}
