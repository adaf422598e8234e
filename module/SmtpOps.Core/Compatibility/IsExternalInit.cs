// Lets netstandard2.0 use C# init-only setters.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}
