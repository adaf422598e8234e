using System.IO;
using System.Runtime.InteropServices;

namespace SmtpOps.Dkim;

/// <summary>Makes a file readable and writable by its owner only (mode 0600) on Linux and macOS; netstandard2.0 has no API for it.</summary>
internal static class OwnerOnlyFile
{
    private const uint OwnerReadWrite = 0x180; // 0600

    public static void Restrict(string path)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && !RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            return;
        }

        if (chmod(path, OwnerReadWrite) != 0)
        {
            throw new IOException($"The permissions of '{path}' cannot be restricted to its owner (chmod failed with errno {Marshal.GetLastWin32Error()}); the key was not written.");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int chmod(string path, uint mode);
}
