; Inno Setup script for Candeia's Windows installer.
; packaging/build.py compiles it with ISCC.exe (Inno Setup 6) after PyInstaller has built dist\candeia:
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\candeia /DAssetsDir=..\..\build\assets /DOutputDir=..\..\dist packaging\windows\candeia.iss
; Per-user install by default (no administrator prompt); an administrator may choose an all-users install.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\candeia"
#endif
#ifndef AssetsDir
  #define AssetsDir "..\..\build\assets"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef Variant
  #define Variant ""
#endif

[Setup]
AppId={{6C1D5E2A-8F3B-4B7E-9C1A-4D2E5F6A7B80}
AppName=Candeia
AppVersion={#AppVersion}
AppVerName=Candeia {#AppVersion}
AppPublisher=Candeia developers
DefaultDirName={autopf}\Candeia
DefaultGroupName=Candeia
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=Candeia-{#AppVersion}{#Variant}-windows-x86_64-setup
SetupIconFile={#AssetsDir}\candeia.ico
UninstallDisplayIcon={app}\candeia.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=no
; the user's models and conversations live in the data folder, never under {app}: uninstalling keeps them

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "brazilianportuguese"; MessagesFile: "compiler:Languages\BrazilianPortuguese.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Candeia"; Filename: "{app}\candeia.exe"
Name: "{autodesktop}\Candeia"; Filename: "{app}\candeia.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\candeia.exe"; Description: "{cm:LaunchProgram,Candeia}"; Flags: nowait postinstall skipifsilent
