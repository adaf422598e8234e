using System;

namespace SmtpOps.TestServers.Graph;

/// <summary>One request the Graph contract endpoint answered, as the server saw it.</summary>
/// <param name="ReceivedAt">When the request arrived (the server's clock).</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path, without the query.</param>
/// <param name="Status">The status code of the answer; 0: the connection was closed without one (<see cref="GraphFault.Disconnect"/>) or the request was left unanswered (<see cref="GraphFault.Hang"/>).</param>
/// <param name="ErrorCode">The Graph error code of the answer, or <c>null</c> on success.</param>
/// <param name="BearerToken">The bearer token the request carried, or <c>null</c>.</param>
public sealed record GraphRequestRecord(DateTimeOffset ReceivedAt, string Method, string Path, int Status, string? ErrorCode, string? BearerToken);
